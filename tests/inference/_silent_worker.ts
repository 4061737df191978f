/** A worker module that loads and then never answers, as a hung start-up would. */
self.onmessage = () => {};
