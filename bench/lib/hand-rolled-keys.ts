// Key layout of the hand-rolled baseline (shared by its worker and the setup that writes records).

export const handRolledKeys = (prefix: string) => ({
  worker: (id: string) => `${prefix}:worker:${id}`,
  lock: (id: string) => `${prefix}:lock:${id}`,
});
