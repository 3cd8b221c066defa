/** jsdom has no modal dialogs: showModal/close only toggle `open` (the real ones run in Chromium in the e2e tests). */
export function emulateModalDialogs(): void {
  HTMLDialogElement.prototype.showModal = function (this: HTMLDialogElement) {
    this.setAttribute('open', '');
  };
  HTMLDialogElement.prototype.close = function (this: HTMLDialogElement) {
    this.removeAttribute('open');
  };
}
