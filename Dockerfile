# nothotdog: one container, CPU only. `.ci/container-steps` performs these same steps outside
# a container in CI (this machine has no Docker engine); keep the two in step.
FROM denoland/deno:debian-2.9.6

WORKDIR /app
ENV DENO_DIR=/app/.deno \
    DENO_NO_UPDATE_CHECK=1 \
    PORT=8000

# Dependencies first, so code edits do not invalidate this layer.
COPY deno.json deno.lock ./
# The model: fetched from its pinned upstream URL and checked against its SHA-256; a wrong hash
# fails the build. (Pass --build-arg ASSETS_MIRROR=DIR to copy from a local mirror instead.)
ARG ASSETS_MIRROR=
COPY models/assets.ts models/assets.tsv models/
RUN ASSETS_MIRROR="$ASSETS_MIRROR" deno run --allow-read --allow-write --allow-net --allow-env models/assets.ts --only model

# Only the files the service needs (not cli/, tools/ or tests/: main.ts never imports them).
COPY config.ts main.ts ./
COPY models/verdict.json models/
COPY inference/ inference/
COPY routes/ routes/
COPY static/ static/
# Everything the service imports is installed at build, so start-up does no network. install.ts
# is `deno task start`'s own first step: it installs deno.json's imports only (deno.lock also
# pins test-only packages: Playwright, the native ONNX yardstick), each checked against the
# lock's integrity hashes, and drops the onnxruntime-web builds the service never loads; the same
# builds go from Deno's cache here.
COPY install.ts ./
RUN deno run --no-lock --allow-read --allow-write --allow-run install.ts \
 && find /app/.deno -type f -path '*onnxruntime-web*' \
      \( -name '*.map' -o -name '*jsep*' -o -name '*asyncify*' -o -name '*jspi*' \
         -o -name '*webgl*' -o -name '*webgpu*' \) -delete \
 && chown -R deno:deno /app

USER deno
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD ["deno", "eval", "const r = await fetch('http://127.0.0.1:' + (Deno.env.get('PORT') ?? '8000') + '/healthz'); Deno.exit(r.ok ? 0 : 1)"]
CMD ["deno", "run", "--cached-only", "--allow-read", "--allow-net", "--allow-env", "main.ts"]
