/** Fills `bytes` from the platform's cryptographically strong source (native/random.c). */
export default function fillRandom(bytes: Uint8Array): void;
