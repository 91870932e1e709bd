// The shell's pure parts (app.js uses them; tests/console/unit checks them
// without a browser).
//
//   NoticeTimer(ms, onExpire)        a countdown that pause() stops and resume() continues with the
//       time left (a notice stays while the pointer or the focus is on it); cancel() ends it.

export class NoticeTimer {
  constructor(ms, onExpire) {
    this.left = ms;
    this.onExpire = onExpire;
    this.timer = null;
    this.startedAt = 0;
    this.done = false;
    this.resume();
  }

  pause() {
    if (this.done || this.timer === null) return;
    clearTimeout(this.timer);
    this.timer = null;
    this.left = Math.max(0, this.left - (Date.now() - this.startedAt));
  }

  resume() {
    if (this.done || this.timer !== null) return;
    this.startedAt = Date.now();
    this.timer = setTimeout(() => {
      this.timer = null;
      this.done = true;
      this.onExpire();
    }, this.left);
  }

  cancel() {
    clearTimeout(this.timer);
    this.timer = null;
    this.done = true;
  }
}
