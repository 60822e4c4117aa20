import { condition, defineQuery, defineSignal, defineUpdate, proxyActivities, setHandler, sleep } from '@temporalio/workflow';

const { touch } = proxyActivities<{ touch(n: number): Promise<number> }>({ startToCloseTimeout: '10s' });

/** Start, one activity, one timer, complete. */
export async function shortLived(n: number): Promise<number> {
  const v = await touch(n);
  await sleep(20);
  return v;
}

/** Waits on a long timer: what an open lead workflow mostly does. */
export async function longLived(): Promise<void> {
  await sleep('30 days');
}

export const ping = defineSignal<[number]>('ping');
export const seen = defineQuery<number>('seen');
export const stop = defineSignal('stop');
/** An update round trip: the handler's answer is the caller's number. */
export const bump = defineUpdate<number, [number]>('bump');

export async function pingPong(): Promise<number> {
  let last = 0;
  let done = false;
  setHandler(ping, (n) => void (last = n));
  setHandler(seen, () => last);
  setHandler(stop, () => void (done = true));
  setHandler(bump, (n) => (last = n));
  await condition(() => done);
  return last;
}
