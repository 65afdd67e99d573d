/*
 * host.fillRandom on Moddable (module "hosts/moddable/random"): the XS binding of
 * native/random.c, the platform's strong random source. JavaScript because the
 * host-function syntax (`@ "xs_..."`) is xsc's only; random.d.ts declares the type.
 */
export default function fillRandom(bytes) @ "xs_fill_random";
