// What the page says besides the boxes: the notice line, the stats line, the spoken verdict.
import { answerRate } from "./pacing.js";

export class PageStatus {
  #el;
  #verdict;
  #now;
  /** Times of recent answers, for the answer rate. */
  #answers = [];
  #lastVerdict = "pending";
  #countdown = 0;

  /**
   * @param {{ notice: HTMLElement, stats: HTMLElement, verdictStatus: HTMLElement }} el
   * @param {{ verdict: () => HTMLElement | null, now: () => number }} options where the
   *   current verdict banner is (htmx replaces it with every answer) and the clock (ms)
   */
  constructor(el, options) {
    this.#el = el;
    this.#verdict = options.verdict;
    this.#now = options.now;
  }

  /**
   * An answer arrived: clears the notice, shows rate and timings, speaks a changed verdict.
   * @param {{ roundTrip: number, server: number | null, live: boolean }} answer `live` when the
   *   camera is the source, so a rate means something
   */
  answered({ roundTrip, server, live }) {
    this.hideNotice();
    const { times, fps } = answerRate(this.#answers, this.#now());
    this.#answers = times;
    const parts = [];
    if (live) parts.push(`${fps.toFixed(1)} fps`);
    parts.push(`${Math.round(roundTrip)} ms`);
    if (server !== null) parts.push(`server ${Math.round(server)} ms`);
    this.#el.stats.textContent = parts.join(" · ");
    this.#announceVerdict();
  }

  /** Speaks the verdict only when it changes; several times a second would drown a reader. */
  #announceVerdict() {
    const verdict = this.#verdict();
    if (!verdict || verdict.dataset.verdict === this.#lastVerdict) return;
    this.#lastVerdict = verdict.dataset.verdict;
    const word = verdict.querySelector(".verdict-word").textContent;
    const score = verdict.querySelector(".verdict-score").textContent;
    this.#el.verdictStatus.textContent = `${word}. ${score}`;
  }

  /**
   * Counts down to `until` (ms, on the status clock): "Server busy, retrying in 2 s".
   * @param {string} why
   * @param {number} until
   */
  countdown(why, until) {
    const tick = () => {
      const left = Math.ceil((until - this.#now()) / 1000);
      if (left > 0) this.showNotice(`${why}, retrying in ${left} s`, "busy");
    };
    tick();
    clearInterval(this.#countdown);
    this.#countdown = setInterval(() => {
      tick();
      if (this.#now() >= until) clearInterval(this.#countdown);
    }, 250);
  }

  /** Shows the server's error fragment, which htmx has already put in the notice. */
  showRefusal() {
    this.#el.notice.hidden = false;
  }

  /**
   * A busy message is a status (it counts down); anything else is an alert.
   * @param {string} text
   * @param {"error" | "busy"} [kind]
   */
  showNotice(text, kind = "error") {
    const notice = this.#el.notice;
    let line = notice.firstElementChild;
    if (!line || line.dataset.kind !== kind) {
      line = document.createElement("p");
      line.dataset.kind = kind;
      line.setAttribute("role", kind === "busy" ? "status" : "alert");
      notice.replaceChildren(line);
    }
    line.textContent = text;
    notice.hidden = false;
  }

  hideNotice() {
    this.#el.notice.hidden = true;
    this.#el.notice.textContent = "";
  }
}
