// cluster-key-slot (ioredis's own slot function) ships no types.
declare module 'cluster-key-slot' {
  /** The Redis Cluster slot of a key (the CRC16 of its hash tag, or of the whole key, modulo 16,384). */
  export default function calculateSlot(key: string): number;
}
