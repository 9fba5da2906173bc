// What each OS's tools print, recorded in the shapes they have on real machines, for the owner-rule
// fact readers' parsers and readers (values changed, layout kept: column widths, CRLF, headers).

/** `xprintidle` (X11): idle milliseconds. */
export const XPRINTIDLE = '4821\n';

/** `gdbus call … org.gnome.Mutter.IdleMonitor.GetIdletime` (GNOME on Wayland or X11): milliseconds. */
export const MUTTER_IDLETIME = '(uint64 73412,)\n';
/** gdbus when no GNOME Shell answers on the session bus (exit status 1, on stderr). */
export const MUTTER_NOT_RUNNING =
  'Error: GDBus.Error:org.freedesktop.DBus.Error.ServiceUnknown: The name org.gnome.Mutter.IdleMonitor was not provided by any .service files\n';

/** `loginctl list-sessions --no-legend`, systemd 252 (Debian 12): GDM's greeter beside the owner. */
export const LOGINCTL_LIST_252 =
  '      2 1000 alice seat0 tty2 \n     c1  117 gdm   seat0 tty1 \n     14 1000 alice       pts/1\n';
/** The same on systemd 256, which adds LEADER, CLASS, STATE, IDLE and SINCE columns. */
export const LOGINCTL_LIST_256 =
  '     2 1000 alice seat0 2305 user    tty2  no   -\n    c1  117 gdm   seat0 1433 greeter tty1  no   -\n';

/** The idle-since hint of ALICE_IDLE (microseconds since the epoch), 2026-01-05 11:55:00 UTC. */
export const ALICE_IDLE_SINCE_MICROS = Date.UTC(2026, 0, 5, 11, 55, 0) * 1000;
/** `loginctl show-session -p Id -p Type -p Class -p Active -p IdleHint -p IdleSinceHint 2 c1 14`. */
export const LOGINCTL_SHOW_ALICE_IDLE = [
  'Id=2',
  'Type=wayland',
  'Class=user',
  'Active=yes',
  'IdleHint=yes',
  `IdleSinceHint=${ALICE_IDLE_SINCE_MICROS}`,
  '',
  'Id=c1',
  'Type=wayland',
  'Class=greeter',
  'Active=no',
  'IdleHint=no',
  'IdleSinceHint=0',
  '',
  'Id=14',
  'Type=tty',
  'Class=user',
  'Active=yes',
  'IdleHint=no',
  'IdleSinceHint=0',
  '',
].join('\n');
/** The same sessions while alice types. */
export const LOGINCTL_SHOW_ALICE_ACTIVE = LOGINCTL_SHOW_ALICE_IDLE.replace(
  `IdleHint=yes\nIdleSinceHint=${ALICE_IDLE_SINCE_MICROS}`,
  'IdleHint=no\nIdleSinceHint=0',
);
/** A server: only ssh sessions. */
export const LOGINCTL_SHOW_SSH_ONLY =
  'Id=14\nType=tty\nClass=user\nActive=yes\nIdleHint=no\nIdleSinceHint=0\n';

/** `ioreg -c IOHIDSystem -r -d 1 -k HIDIdleTime` (macOS 14): nanoseconds. */
export const IOREG_HID = [
  '+-o IOHIDSystem  <class IOHIDSystem, id 0x100000435, registered, matched, active, busy 0 (0 ms), retain 28>',
  '    {',
  '      "IOClass" = "IOHIDSystem"',
  '      "CFBundleIdentifier" = "com.apple.iokit.IOHIDFamily"',
  '      "HIDIdleTime" = 1523400958',
  '      "HIDParameters" = {"HIDClickTime"=500000000,"HIDKeyRepeat"=83333333}',
  '    }',
  '',
].join('\n');

/** The Windows idle script through PowerShell (CRLF): milliseconds since the last input. */
export const WINDOWS_IDLE = '95012\r\n';

/** `ps -axco comm=` (macOS 14): executable names, cut to 16 characters by the kernel. */
export const PS_MAC = [
  'launchd',
  'logd',
  'UserEventAgent',
  'WindowServer',
  'Google Chrome He',
  'Blender',
  'Microsoft Teams',
  'zsh',
  '',
].join('\n');

/** `tasklist /fo csv /nh` (Windows 11, English; CRLF). */
export const TASKLIST_EN = [
  '"System Idle Process","0","Services","0","8 K"',
  '"System","4","Services","0","1,244 K"',
  '"svchost.exe","1204","Services","0","21,904 K"',
  '"ms-teams.exe","10244","Console","1","212,344 K"',
  '"blender.exe","8812","Console","1","1,204,556 K"',
  '"Quote ""odd"" name.exe","9001","Console","1","4,096 K"',
  '',
].join('\r\n');
/** The same on a German Windows (localised names and thousands separators). */
export const TASKLIST_DE = [
  '"Leerlaufprozess","0","Services","0","8 K"',
  '"blender.exe","8812","Console","1","1.204.556 K"',
  '',
].join('\r\n');
/** tasklist's answer when a filter matches nothing (not a row). */
export const TASKLIST_NONE = 'INFO: No tasks are running which match the specified criteria.\r\n';

/** `nvidia-smi --query-gpu=temperature.gpu --format=csv,noheader,nounits`, two GPUs. */
export const NVIDIA_SMI_TWO_GPUS = '54\n61\n';
/** A GPU whose sensor is not supported. */
export const NVIDIA_SMI_NOT_SUPPORTED = '[N/A]\n';
