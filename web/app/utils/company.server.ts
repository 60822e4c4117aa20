// My Company's settings checks that need more than the form: the eAgent address must be https
// to a public host (activities/outbound-url.ts), judged here by its current DNS answers too,
// unless the operator set EAGENT_ALLOW_PRIVATE=true. The worker judges it again at every send,
// so this check is for a clear message at save, not the only guard.
import { allowPrivateFromEnv, checkOutboundUrlResolving } from '../../../activities/outbound-url.ts';

export async function eagentUrlProblem(url: string | undefined, opts: { enabled: boolean; allowPrivate?: boolean }): Promise<string | null> {
  if (!url) return opts.enabled ? 'Enter the eAgent address (https) to turn the integration on' : null;
  const check = await checkOutboundUrlResolving(url, { allowPrivate: opts.allowPrivate ?? allowPrivateFromEnv() });
  if (check.ok) return null;
  return check.problem === 'invalid' ? `Enter the eAgent address (https): ${check.message.charAt(0).toLowerCase()}${check.message.slice(1)}` : check.message;
}
