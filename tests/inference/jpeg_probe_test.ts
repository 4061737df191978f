import assert from "node:assert/strict";
import { AppError, type ErrorCode } from "../../inference/errors.ts";
import { MAX_DECODE_WORK, MAX_SCANS, probeJpeg } from "../../inference/jpeg_probe.ts";
import {
  afterSoi,
  bus,
  concat,
  encoded,
  exif,
  find,
  FOOD,
  jpegsUnder,
  scanBomb,
  type ScanSpec,
  segment,
  segments,
  SIMPLE_PROGRESSION,
  withComponents,
  without,
  withScript,
  withSize,
  withSofByte,
  withSofMarker,
} from "./_jpeg_fixtures.ts";

/** Asserts that probing throws an AppError with this code and a message matching `message`. */
function refuses(bytes: Uint8Array, code: ErrorCode, message: RegExp | string, options = {}) {
  assert.throws(() => probeJpeg(bytes, options), (err: unknown) => {
    assert.ok(err instanceof AppError, `expected an AppError, got ${err}`);
    assert.equal(err.code, code, err.message);
    if (typeof message === "string") assert.equal(err.message, message);
    else assert.match(err.message, message);
    return true;
  });
}

Deno.test("probeJpeg() reads the headers of real photos", async (t) => {
  await t.step("bus.jpg is an 810x1080 8-bit YCbCr baseline JPEG", () => {
    const info = probeJpeg(bus());
    assert.deepEqual(
      { ...info, scanOffset: undefined },
      {
        width: 810,
        height: 1080,
        components: 3,
        precision: 8,
        process: "baseline",
        orientation: 1,
        orientedWidth: 810,
        orientedHeight: 1080,
        scanOffset: undefined,
        scans: 1,
        decodeWork: 810 * 1080,
        eoiOffset: bus().length - 2,
      },
    );
    // The scan data starts right after the SOS header.
    assert.equal(info.scanOffset, find(bus(), 0xda).end);
  });

  await t.step("every food photo passes, in microseconds", () => {
    const files = jpegsUnder(FOOD);
    assert.ok(files.length > 600, `only ${files.length} photos under ${FOOD}`);
    const all = files.map((f) => Deno.readFileSync(f));
    for (const [i, bytes] of all.entries()) {
      const info = probeJpeg(bytes);
      assert.ok(info.width > 0 && info.height > 0, files[i]);
    }
    const rounds = 20;
    const start = performance.now();
    for (let r = 0; r < rounds; r++) for (const bytes of all) probeJpeg(bytes);
    const us = ((performance.now() - start) * 1000) / (rounds * all.length);
    console.log(`probeJpeg: ${us.toFixed(2)} µs per photo over ${all.length} photos`);
    assert.ok(us < 50, `${us} µs per probe`);
  });
});

Deno.test("probeJpeg() refuses sizes over the limits before anything is allocated", async (t) => {
  await t.step("30000x30000 is over the pixel limit, with the numbers in the message", () => {
    refuses(
      withSize(bus(), 30000, 30000),
      "too_many_pixels",
      "Cannot decode JPEG: 30000x30000 is 900.0 MP, over the 16.8 MP limit",
    );
  });
  await t.step("65500x65500 is refused the same way", () => {
    refuses(withSize(bus(), 65500, 65500), "too_many_pixels", /65500x65500 is 4290\.3 MP/);
  });
  await t.step("9000x100 has a side over 8192", () => {
    refuses(
      withSize(bus(), 9000, 100),
      "image_too_large",
      "Cannot decode JPEG: 9000x100 has a side over the 8192 px limit",
    );
  });
  await t.step("the limits can be set per call", () => {
    refuses(bus(), "too_many_pixels", /810x1080 is 0\.9 MP, over the 0\.5 MP limit/, {
      maxPixels: 500_000,
    });
    refuses(bus(), "image_too_large", /over the 1000 px limit/, { maxSide: 1000 });
    assert.equal(probeJpeg(bus(), { maxPixels: 810 * 1080, maxSide: 1080 }).width, 810);
  });
  await t.step("0x0 has zero dimensions", () => {
    refuses(withSize(bus(), 0, 0), "zero_dimensions", "Cannot decode JPEG: size is 0x0");
  });
  await t.step(
    "a zero height (defined later by DNL) is refused as unsupported, and says so",
    () => {
      refuses(
        withSize(bus(), 100, 0),
        "zero_dimensions",
        /100x0 \(a height defined later by a DNL/,
      );
    },
  );
});

Deno.test("probeJpeg() refuses JPEG processes the decoder cannot handle", async (t) => {
  const cases: [string, number, RegExp][] = [
    ["SOF9 (arithmetic sequential)", 0xc9, /arithmetic-coded sequential \(SOF9\) is not supp/],
    ["SOF10 (arithmetic progressive)", 0xca, /arithmetic-coded progressive \(SOF10\)/],
    ["SOF3 (lossless)", 0xc3, /lossless \(SOF3\) is not supported/],
    ["SOF5 (hierarchical)", 0xc5, /differential sequential \(SOF5, hierarchical\)/],
    ["SOF55 (JPEG-LS)", 0xf7, /JPEG-LS \(SOF55\) is not supported/],
  ];
  for (const [name, code, message] of cases) {
    await t.step(`${name} is unsupported`, () => {
      refuses(withSofMarker(bus(), code), "unsupported_jpeg", message);
    });
  }
  await t.step("12-bit and 16-bit precision are unsupported", () => {
    refuses(withSofByte(bus(), 0, 12), "unsupported_jpeg", /12-bit precision is not supported/);
    refuses(withSofByte(bus(), 0, 16), "unsupported_jpeg", /16-bit precision/);
  });
  await t.step("4 components (CMYK/YCCK) are unsupported", () => {
    refuses(
      withComponents(bus(), 4),
      "unsupported_jpeg",
      "Cannot decode JPEG: 4 colour components (CMYK/YCCK) are not supported (only 1 or 3)",
    );
  });
  await t.step("2 components are unsupported", () => {
    refuses(withComponents(bus(), 2), "unsupported_jpeg", /2 colour components are not/);
  });
  await t.step("an Adobe APP14 segment saying YCCK is unsupported", () => {
    const adobe = segment(0xee, [...new TextEncoder().encode("Adobe"), 0, 100, 0, 0, 0, 0, 2]);
    refuses(afterSoi(bus(), adobe), "unsupported_jpeg", /YCCK colour \(Adobe APP14 transform 2\)/);
    // Transform 1 (YCbCr) is the usual Adobe marker and is fine.
    const ycc = segment(0xee, [...new TextEncoder().encode("Adobe"), 0, 100, 0, 0, 0, 0, 1]);
    assert.equal(probeJpeg(afterSoi(bus(), ycc)).components, 3);
  });
  await t.step("sampling factors of 0 or over 4 are corrupt", () => {
    refuses(withSofByte(bus(), 7, 0x01), "corrupt_jpeg", /component 1 has sampling factors 0x1/);
    refuses(
      withSofByte(bus(), 7, 0x51),
      "corrupt_jpeg",
      /sampling factors 5x1 \(each must be 1-4\)/,
    );
  });
  await t.step("fractional sampling ratios are unsupported", () => {
    // Y 3x1 with chroma 2x1: libjpeg only upsamples by whole factors.
    const bytes = withSofByte(withSofByte(bus(), 7, 0x31), 10, 0x21);
    refuses(bytes, "unsupported_jpeg", /fractional ratio/);
  });
  await t.step("an MCU over 10 blocks is corrupt", () => {
    const bytes = withSofByte(withSofByte(bus(), 7, 0x44), 10, 0x11);
    refuses(bytes, "corrupt_jpeg", /MCU of 18 blocks is over the limit of 10/);
  });
});

Deno.test("probeJpeg() accepts the variants the decoder supports", async (t) => {
  await t.step("progressive (SOF2) files", async () => {
    const info = probeJpeg(await encoded(64, 48, { progressive: true }));
    assert.equal(info.process, "progressive");
    assert.deepEqual([info.width, info.height], [64, 48]);
  });
  await t.step("greyscale files", async () => {
    const info = probeJpeg(await encoded(64, 48, { grey: true }));
    assert.equal(info.components, 1);
    assert.equal(info.process, "baseline");
  });
  await t.step("extended sequential (SOF1) files", () => {
    assert.equal(probeJpeg(withSofMarker(bus(), 0xc1)).process, "extended");
  });
  await t.step("fill bytes before markers and RST/COM segments among the headers", () => {
    const fill = new Uint8Array([0xff, 0xff, 0xff]);
    const com = segment(0xfe, new TextEncoder().encode("hello"));
    const bytes = concat(bus().subarray(0, 2), fill, com, bus().subarray(2));
    assert.equal(probeJpeg(bytes).width, 810);
  });
});

Deno.test("probeJpeg() refuses what is not a JPEG, naming what it looks like", async (t) => {
  const enc = new TextEncoder();
  await t.step("empty input", () => {
    refuses(new Uint8Array(0), "empty_input", "Cannot decode JPEG: input is 0 bytes");
  });
  const cases: [string, Uint8Array, string][] = [
    ["a PNG", new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0]), "a PNG"],
    ["a GIF", enc.encode("GIF89a\x01\x00\x01\x00"), "a GIF"],
    ["a WebP", enc.encode("RIFF\x10\x00\x00\x00WEBPVP8 "), "a WebP"],
    ["an AVIF", new Uint8Array([0, 0, 0, 0x1c, ...enc.encode("ftypavif")]), "an AVIF"],
    ["plain text", enc.encode("hello, this is not an image\n"), "text"],
    ["HTML", enc.encode("<!doctype html><html>"), "text"],
  ];
  for (const [name, bytes, kind] of cases) {
    await t.step(name, () => {
      refuses(bytes, "not_jpeg", `Cannot decode image: input is ${kind}, not a JPEG`);
    });
  }
  await t.step("unknown binary says how it starts", () => {
    refuses(
      new Uint8Array([1, 2, 3]),
      "not_jpeg",
      /input is 3 bytes starting 0x01 0x02, not a JPEG/,
    );
    refuses(new Uint8Array([0xff]), "not_jpeg", /input is 1 byte starting 0xFF/);
  });
  await t.step("an SOI followed by garbage is corrupt", () => {
    const garbage = new Uint8Array(200).map((_, i) => (i * 37 + 11) & 0x7f);
    refuses(concat(new Uint8Array([0xff, 0xd8]), garbage), "corrupt_jpeg", /expected a marker at/);
    refuses(new Uint8Array([0xff, 0xd8]), "corrupt_jpeg", /no SOS marker \(truncated after 2 by/);
  });
});

Deno.test("probeJpeg() refuses broken structure with the offset and sizes", async (t) => {
  const whole = bus();
  const segs = segments(whole);
  await t.step("truncated inside a segment's marker or length field", () => {
    refuses(
      whole.subarray(0, 3),
      "corrupt_jpeg",
      "Cannot decode JPEG: no SOS marker (truncated after 3 bytes?)",
    );
    refuses(whole.subarray(0, 5), "corrupt_jpeg", /truncated inside the 0xFFE0 header/);
  });
  await t.step("truncated inside a segment's body", () => {
    const dqt = find(whole, 0xdb);
    refuses(
      whole.subarray(0, dqt.offset + 10),
      "corrupt_jpeg",
      /segment 0xFFDB at offset \d+ declares \d+ bytes but only 8 remain/,
    );
  });
  await t.step("truncated at every offset before the end of the SOS header", () => {
    const sos = segs.at(-1)!;
    for (let cut = 0; cut < sos.end; cut++) {
      assert.throws(() => probeJpeg(whole.subarray(0, cut)), AppError, `cut at ${cut}`);
    }
  });
  await t.step("truncated mid-scan: no EOI, refused without decoding", () => {
    refuses(
      whole.subarray(0, 20_000),
      "corrupt_jpeg",
      /^Cannot decode JPEG: no EOI marker: the file ends inside the image data \(truncated after 20000 bytes\?\)$/,
    );
  });
  await t.step("no SOF before SOS", () => {
    refuses(
      without(whole, find(whole, 0xc0)),
      "corrupt_jpeg",
      /SOS marker at offset \d+ before any SOF/,
    );
  });
  await t.step("two SOF markers", () => {
    const s = find(whole, 0xc0);
    const twice = concat(whole.subarray(0, s.end), whole.subarray(s.offset));
    refuses(twice, "corrupt_jpeg", /second SOF marker at offset/);
  });
  await t.step("EOI before any scan", () => {
    const s = find(whole, 0xda);
    const early = concat(whole.subarray(0, s.offset), new Uint8Array([0xff, 0xd9]));
    refuses(early, "corrupt_jpeg", /EOI marker at offset \d+ before any SOS marker/);
  });
  await t.step("a segment length under 2", () => {
    refuses(afterSoi(whole, new Uint8Array([0xff, 0xe5, 0, 1])), "corrupt_jpeg", /has length 1/);
  });
  await t.step("a SOF segment whose length does not fit its components", () => {
    const s = find(whole, 0xc0);
    const bad = whole.slice();
    bad[s.offset + 3] += 3;
    refuses(bad, "corrupt_jpeg", /SOF segment is 20 bytes, but 3 components need 17/);
  });
  await t.step("a second SOI and reserved markers", () => {
    refuses(afterSoi(whole, new Uint8Array([0xff, 0xd8])), "corrupt_jpeg", /second SOI marker/);
    refuses(
      afterSoi(whole, new Uint8Array([0xff, 0x02, 0, 2])),
      "corrupt_jpeg",
      /invalid marker 0xFF02/,
    );
  });
});

Deno.test("probeJpeg() never throws anything but an AppError on mangled headers", () => {
  const whole = bus();
  const sosEnd = find(whole, 0xda).end;
  let seed = 42;
  const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  let accepted = 0;
  for (let i = 0; i < 5000; i++) {
    // Whole files, or cut anywhere (the walk to EOI must refuse those too).
    const bytes = random() < 0.5
      ? whole.slice()
      : whole.slice(0, Math.floor(random() * whole.length));
    for (let k = 0; k < 1 + random() * 4; k++) {
      bytes[Math.floor(random() * sosEnd)] = random() * 256;
    }
    try {
      const info = probeJpeg(bytes);
      assert.ok(info.width * info.height <= 16_800_000 && info.width <= 8192);
      assert.ok(info.scanOffset <= info.eoiOffset && info.eoiOffset < bytes.length);
      accepted++;
    } catch (err) {
      assert.ok(err instanceof AppError, String(err));
    }
  }
  assert.ok(accepted > 0 && accepted < 5000, `${accepted} accepted`);
});

Deno.test("probeJpeg() reads EXIF orientation", async (t) => {
  for (const little of [true, false]) {
    const order = little ? "II (little-endian)" : "MM (big-endian)";
    await t.step(`each of 1-8 in ${order} byte order, with the seen size`, () => {
      for (let o = 1; o <= 8; o++) {
        const info = probeJpeg(afterSoi(bus(), exif(o, { little })));
        assert.equal(info.orientation, o);
        assert.deepEqual([info.width, info.height], [810, 1080], "stored size is unchanged");
        const seen = o >= 5 ? [1080, 810] : [810, 1080];
        assert.deepEqual([info.orientedWidth, info.orientedHeight], seen, `orientation ${o}`);
      }
    });
  }
  await t.step("after a JFIF APP0, as cameras write it", () => {
    const app0 = find(bus(), 0xe0);
    const bytes = concat(bus().subarray(0, app0.end), exif(6), bus().subarray(app0.end));
    assert.equal(probeJpeg(bytes).orientation, 6);
  });
  await t.step("a LONG-typed value is read too", () => {
    assert.equal(probeJpeg(afterSoi(bus(), exif(8, { type: 4, little: false }))).orientation, 8);
  });
  await t.step("only the first EXIF block counts", () => {
    const bytes = afterSoi(afterSoi(bus(), exif(3)), exif(6));
    assert.equal(probeJpeg(bytes).orientation, 6);
  });
  await t.step("an XMP APP1 is not mistaken for EXIF", () => {
    const xmp = segment(0xe1, new TextEncoder().encode("http://ns.adobe.com/xap/1.0/\0<x/>"));
    assert.equal(probeJpeg(afterSoi(afterSoi(bus(), exif(5)), xmp)).orientation, 5);
  });
});

Deno.test("probeJpeg() still reads an intact entry when the IFD's count overruns", () => {
  // As browsers do: entries are read while they fit in the segment.
  const edit = (_: Uint8Array, v: DataView) => v.setUint16(8, 60000, true);
  assert.equal(probeJpeg(afterSoi(bus(), exif(6, { edit }))).orientation, 6);
});

Deno.test("probeJpeg() reads malformed EXIF as orientation 1 and never rejects the image", async (t) => {
  type Edit = (tiff: Uint8Array, view: DataView) => void;
  const cases: [string, number, Edit | undefined][] = [
    ["orientation 0", 0, undefined],
    ["orientation 9", 9, undefined],
    ["orientation 65535", 65535, undefined],
    ["an IFD0 offset past the segment", 6, (_, v) => v.setUint32(4, 5000, true)],
    ["an IFD0 offset of 2^32 - 1", 6, (_, v) => v.setUint32(4, 0xffffffff, true)],
    ["an IFD0 offset inside the header", 6, (_, v) => v.setUint32(4, 2, true)],
    ["a bad TIFF magic", 6, (_, v) => v.setUint16(2, 43, true)],
    ["a bad byte-order mark", 6, (t) => t.set([0x49, 0x4d])],
    ["a wrong value type", 6, (_, v) => v.setUint16(24, 7, true)],
    ["a value count of 0", 6, (_, v) => v.setUint32(26, 0, true)],
  ];
  for (const [name, value, edit] of cases) {
    await t.step(name, () => {
      assert.equal(probeJpeg(afterSoi(bus(), exif(value, { edit }))).orientation, 1);
    });
  }
  await t.step("an EXIF segment cut short at every length", () => {
    const full = exif(6);
    for (let len = 10; len < full.length; len++) {
      const cut = full.slice(0, len);
      cut.set([(len - 2) >> 8, (len - 2) & 0xff], 2);
      const o = probeJpeg(afterSoi(bus(), cut)).orientation;
      // The Orientation entry ends 34 bytes into the TIFF data, 44 into the segment.
      assert.equal(o, len >= 44 ? 6 : 1, `segment of ${len} bytes`);
    }
  });
});

Deno.test("probeJpeg() walks every scan to EOI and counts them", async (t) => {
  const progressive = await encoded(256, 192, { progressive: true });
  await t.step("mozjpeg's progressive files have 7 scans, baseline ones 1", async () => {
    const info = probeJpeg(progressive);
    assert.equal(info.scans, 7);
    assert.equal(info.decodeWork, 7 * 256 * 192);
    assert.equal(info.eoiOffset, progressive.length - 2);
    assert.equal(probeJpeg(await encoded(64, 48)).scans, 1);
  });
  await t.step("libjpeg's default progression (successive approximation) passes", () => {
    const bytes = withScript(bus(), SIMPLE_PROGRESSION);
    bytes[find(bytes, 0xc0).offset + 1] = 0xc2;
    assert.equal(probeJpeg(bytes).scans, 10);
  });
  await t.step("trailing bytes after EOI are ignored", () => {
    const trailer = concat(bus(), new TextEncoder().encode("thumbnail or vendor data"));
    assert.equal(probeJpeg(trailer).eoiOffset, bus().length - 2);
  });
  await t.step("tables, restart intervals and comments between scans are walked over", () => {
    const dht = find(progressive, 0xc4);
    const sos = segments(progressive).at(-1)!;
    // A copy of a DHT and a COM right before the last scan, as encoders write them.
    let last = progressive.length - 2;
    while (!(progressive[last] === 0xff && progressive[last + 1] === 0xda)) last--;
    const extra = concat(
      progressive.subarray(dht.offset, dht.end),
      segment(0xfe, new TextEncoder().encode("between scans")),
      segment(0xdd, [0, 0]),
    );
    const bytes = concat(progressive.subarray(0, last), extra, progressive.subarray(last));
    assert.equal(probeJpeg(bytes).scans, 7);
    assert.ok(sos.end < last);
  });
});

Deno.test("probeJpeg() refuses scan bombs before any decoding", async (t) => {
  const progressive = await encoded(256, 192, { progressive: true });
  await t.step("the last scan repeated: refused at the first repeat", () => {
    refuses(
      scanBomb(progressive, 1000),
      "corrupt_jpeg",
      /scan at offset \d+: coefficient 3 of component 3 is sent again \(a repeated scan\)/,
    );
  });
  await t.step(
    "150,000 repeated scans are refused at the first repeat, in microseconds",
    async () => {
      const big = scanBomb(await encoded(512, 512, { progressive: true }), 150_000);
      const start = performance.now();
      for (let i = 0; i < 10; i++) assert.throws(() => probeJpeg(big), AppError);
      const ms = (performance.now() - start) / 10;
      console.log(`probeJpeg(${big.length} bytes, 150,007 scans): refused in ${ms.toFixed(2)} ms`);
      assert.ok(ms < 50, `${ms} ms`);
    },
  );
  // A valid script of one coefficient band per scan: 1 + 63 x 3 = 190 scans.
  const sof2 = (b: Uint8Array) => {
    const out = b.slice();
    out[find(out, 0xc0).offset + 1] = 0xc2;
    return out;
  };
  const perCoefficient: ScanSpec[] = [{ ids: [1, 2, 3], ss: 0, se: 0 }];
  for (const id of [1, 2, 3]) {
    for (let k = 1; k < 64; k++) perCoefficient.push({ ids: [id], ss: k, se: k });
  }
  await t.step(`a consistent script of over ${MAX_SCANS} scans is too_many_scans`, () => {
    refuses(
      sof2(withScript(bus(), perCoefficient)),
      "too_many_scans",
      `Cannot decode JPEG: over ${MAX_SCANS} scans (the limit; encoders write at most about 10)`,
    );
    assert.equal(probeJpeg(sof2(withScript(bus(), perCoefficient.slice(0, MAX_SCANS)))).scans, 100);
  });
  await t.step("pixels x scans over the decode work limit is too_many_scans", () => {
    // 4096x4096 is 16.8 MP: 16 scans fit, the 17th does not.
    const big = withSize(sof2(withScript(bus(), perCoefficient.slice(0, 17))), 4096, 4096);
    refuses(
      big,
      "too_many_scans",
      "Cannot decode JPEG: 17 scans of 4096x4096 are over the decode work limit of " +
        `${(MAX_DECODE_WORK / 1e6).toFixed(1)} MP x scans`,
    );
    const ok = withSize(sof2(withScript(bus(), perCoefficient.slice(0, 16))), 4096, 4096);
    assert.equal(probeJpeg(ok).decodeWork, 16 * 4096 * 4096);
  });
  await t.step("both limits can be set per call", () => {
    refuses(progressive, "too_many_scans", /over 6 scans/, { maxScans: 6 });
    refuses(progressive, "too_many_scans", /7 scans of 256x192/, { maxDecodeWork: 6 * 256 * 192 });
  });
});

Deno.test("probeJpeg() refuses inconsistent or incomplete scan scripts", async (t) => {
  const sof2 = (b: Uint8Array) => {
    const out = b.slice();
    out[find(out, 0xc0).offset + 1] = 0xc2;
    return out;
  };
  const cases: [string, ScanSpec[], RegExp][] = [
    [
      "an AC band before its DC",
      [{ ids: [1], ss: 1, se: 63 }],
      /AC band of component 1 before its DC/,
    ],
    [
      "a refinement that skips a bit",
      [{ ids: [1, 2, 3], ss: 0, se: 0, al: 2 }, { ids: [1, 2, 3], ss: 0, se: 0, ah: 1, al: 0 }],
      /coefficient 0 of component 1 refined out of order/,
    ],
    [
      "a refinement of a band never sent",
      [{ ids: [1, 2, 3], ss: 0, se: 0 }, { ids: [1], ss: 1, se: 5, ah: 1, al: 0 }],
      /coefficient 1 of component 1 refined out of order/,
    ],
    [
      "an interleaved AC scan",
      [{ ids: [1, 2, 3], ss: 0, se: 0 }, { ids: [1, 2], ss: 1, se: 5 }],
      /spectral selection 1-5 for 2 components/,
    ],
    [
      "a DC scan with AC coefficients",
      [{ ids: [1, 2, 3], ss: 0, se: 5 }],
      /spectral selection 0-5/,
    ],
    ["Al over 13", [{ ids: [1, 2, 3], ss: 0, se: 0, al: 14 }], /successive approximation 0\/14/],
    [
      "a component no scan names",
      [{ ids: [1, 2], ss: 0, se: 0 }],
      /component 3 has no scan before EOI/,
    ],
    [
      "an id not in the frame",
      [{ ids: [1, 2, 9], ss: 0, se: 0 }],
      /names component id 9, not in the frame/,
    ],
    ["an id twice in one scan", [{ ids: [1, 1, 2], ss: 0, se: 0 }], /names component id 1 twice/],
  ];
  for (const [name, script, message] of cases) {
    await t.step(`progressive: ${name}`, () => {
      refuses(sof2(withScript(bus(), script)), "corrupt_jpeg", message);
    });
  }
  await t.step("sequential: a component scanned twice, or a progressive-style scan", () => {
    const full = { ss: 0, se: 63 };
    refuses(
      withScript(bus(), [{ ids: [1, 2, 3], ...full }, { ids: [3], ...full }]),
      "corrupt_jpeg",
      /coefficient 0 of component 3 is sent again/,
    );
    refuses(
      withScript(bus(), [{ ids: [1, 2, 3], ss: 0, se: 5 }]),
      "corrupt_jpeg",
      /spectral selection 0-5, approximation 0\/0 in a sequential file/,
    );
    // One scan per component (non-interleaved) is a valid sequential file.
    const split = withScript(bus(), [1, 2, 3].map((id) => ({ ids: [id], ...full })));
    assert.equal(probeJpeg(split).scans, 3);
  });
  await t.step("junk after a table between scans, and an SOF after the first scan", () => {
    const bytes = withScript(bus(), [{ ids: [1, 2, 3], ss: 0, se: 63 }]);
    const eoi = bytes.length - 2;
    const junk = concat(
      bytes.subarray(0, eoi),
      segment(0xfe, [1]),
      new Uint8Array([7, 7]),
      bytes.subarray(eoi),
    );
    refuses(junk, "corrupt_jpeg", /expected a marker at offset \d+, found 0x07/);
    const sof = find(bus(), 0xc0);
    const twice = concat(
      bytes.subarray(0, eoi),
      bus().subarray(sof.offset, sof.end),
      bytes.subarray(eoi),
    );
    refuses(twice, "corrupt_jpeg", /second SOF marker 0xFFC0 at offset/);
  });
});
