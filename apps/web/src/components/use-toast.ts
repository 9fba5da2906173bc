'use client';
import { useCallback, useEffect, useState } from 'react';

/** A single transient message (command results and the like). */
export function useToast(): [string | null, (message: string) => void] {
  const [message, setMessage] = useState<string | null>(null);
  useEffect(() => {
    if (!message) return;
    const timer = setTimeout(() => setMessage(null), 4000);
    return () => clearTimeout(timer);
  }, [message]);
  return [message, useCallback((next: string) => setMessage(next), [])];
}
