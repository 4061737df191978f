/** The real photos the page tests show the camera, chosen by running the detector at 320 input. */

/**
 * A 512x384 hot dog shot (two hot dogs and a bottle): at 320 input the model finds "hot dog"
 * at 0.74 and 0.73, comfortably over the 0.25 verdict threshold, also after the browser
 * re-encodes it as a 320x240 snapshot.
 */
export const HOTDOG_PHOTO = "tests/data/hotdog/seefood-train/hot_dog/930190.jpg";

/**
 * A 512x384 pizza with cups on a table: pizza 0.63, cups up to 0.78, and a hot-dog score of
 * 0.00, so the verdict is Not Hotdog with several boxes drawn.
 */
export const NOT_HOTDOG_PHOTO = "tests/data/hotdog/seefood-train/not_hot_dog/5764.jpg";
