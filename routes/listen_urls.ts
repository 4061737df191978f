/** The addresses to print at start-up: one a person can open here, and the ones a phone on the LAN can. */

export interface ListenUrls {
  /** Opens on this machine; the camera works here even without HTTPS (localhost is trusted). */
  url: string;
  /** This machine's LAN addresses, for a phone on the same network. */
  lan: string[];
  /** What a phone needs for its camera, or null when nothing is missing. */
  phone: string | null;
}

/**
 * `0.0.0.0:8000` is where the server listens, not an address anyone can open. A wildcard host
 * becomes `localhost` plus each non-loopback IPv4 address; a specific host is printed as is.
 * Browsers open the camera only on HTTPS or localhost, so without TLS a phone gets upload only.
 */
export function listenUrls(
  listening: { hostname: string; port: number },
  options: { tls: boolean; addresses?: readonly string[] },
): ListenUrls {
  const scheme = options.tls ? "https" : "http";
  const at = (host: string) =>
    `${scheme}://${host.includes(":") ? `[${host}]` : host}:${listening.port}/`;
  const wildcard = listening.hostname === "0.0.0.0" || listening.hostname === "::";
  const loopback = /^(127\.|::1$|localhost$)/.test(listening.hostname);
  const lan = wildcard
    ? (options.addresses ?? []).filter((a) => !/^127\./.test(a) && !a.includes(":")).map(at)
    : loopback
    ? []
    : [at(listening.hostname)];
  const phone = loopback
    ? "listening on loopback only: set HOST=0.0.0.0 to reach it from a phone"
    : options.tls
    ? null
    : "phones open the camera only over HTTPS: set TLS_CERT and TLS_KEY (README, HTTPS), " +
      "or the page offers upload only";
  return { url: wildcard || loopback ? at("localhost") : at(listening.hostname), lan, phone };
}
