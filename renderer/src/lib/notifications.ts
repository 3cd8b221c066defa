/** Asks once, from a user gesture (starting an update), so rollout-end notifications can be shown later. */
export function askNotificationPermission(): void {
  if (typeof Notification !== 'undefined' && Notification.permission === 'default') void Notification.requestPermission();
}
