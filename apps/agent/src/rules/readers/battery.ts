// Whether the machine runs on its battery, from systeminformation's battery() (Linux: the
// /sys/class/power_supply files; macOS: `pmset` and `ioreg`; Windows: WMI). Null on a machine without
// a battery or when the answer is not understood.
import type { Systeminformation } from 'systeminformation';

export type BatteryAnswer = Partial<Pick<Systeminformation.BatteryData, 'hasBattery' | 'acConnected'>>;

export function onBatteryFrom(answer: BatteryAnswer | undefined): boolean | null {
  if (answer?.hasBattery !== true || typeof answer.acConnected !== 'boolean') return null;
  return !answer.acConnected;
}

export async function readOnBattery(battery: () => Promise<BatteryAnswer>): Promise<boolean | null> {
  return onBatteryFrom(await battery().catch(() => undefined));
}
