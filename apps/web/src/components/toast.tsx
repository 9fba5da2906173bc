'use client';
import { useCallback, useEffect, useState } from 'react';

export interface ToastMessage {
  text: string;
  tone?: 'error';
}

/** Tells the user what an action did (a sentence; `error` when it failed). */
export type Notify = (text: string, tone?: 'error') => void;

/** A single transient message (command results and the like), gone after 4 s. */
export function useToast(): [ToastMessage | null, Notify] {
  const [message, setMessage] = useState<ToastMessage | null>(null);
  useEffect(() => {
    if (!message) return;
    const timer = setTimeout(() => setMessage(null), 4000);
    return () => clearTimeout(timer);
  }, [message]);
  return [message, useCallback((text: string, tone?: 'error') => setMessage({ text, tone }), [])];
}

export function Toast({ message }: { message: ToastMessage | null }) {
  if (!message) return null;
  return message.tone === 'error' ? (
    <div className="toast error-text" role="alert">
      {message.text}
    </div>
  ) : (
    <div className="toast" role="status">
      {message.text}
    </div>
  );
}
