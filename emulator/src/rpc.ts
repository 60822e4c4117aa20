// Wires protobufjs service definitions to @grpc/grpc-js. Every method of a service is
// registered: those without a handler answer UNIMPLEMENTED, a request that does not decode
// answers INVALID_ARGUMENT, and an exception in a handler becomes a status for that call only.
import * as grpc from '@grpc/grpc-js';
import type protobuf from 'protobufjs';
import { root } from './proto.ts';
import { RpcError } from './errors.ts';
import { log } from './log.ts';

export interface CallContext {
  /** Epoch ms (wall clock) at which the client gives up, or Infinity. */
  deadline: number;
  cancelled(): boolean;
  onCancelled(fn: () => void): void;
  method: string;
}

export type Handler = (req: any, ctx: CallContext) => unknown;

const DECODE_ERROR = Symbol('decodeError');

export function addService(
  server: grpc.Server,
  serviceName: string,
  handlers: Record<string, Handler | undefined>,
  afterCall: () => void,
) {
  const service = (root as unknown as protobuf.Root).lookupService(serviceName);
  const definition: Record<string, grpc.MethodDefinition<any, any>> = {};
  const impl: grpc.UntypedServiceImplementation = {};
  for (const method of Object.values(service.methods)) {
    method.resolve();
    const reqType = method.resolvedRequestType!;
    const resType = method.resolvedResponseType!;
    definition[method.name] = {
      path: `/${serviceName}/${method.name}`,
      requestStream: false,
      responseStream: false,
      requestSerialize: (v: any) => Buffer.from(reqType.encode(v).finish()),
      requestDeserialize: (b: Buffer) => {
        try {
          return reqType.decode(b);
        } catch (err) {
          return { [DECODE_ERROR]: (err as Error).message };
        }
      },
      responseSerialize: (v: any) => Buffer.from(resType.encode(resType.fromObject(v ?? {})).finish()),
      responseDeserialize: (b: Buffer) => resType.decode(b),
    };
    const handler = handlers[method.name];
    const name = method.name;
    impl[method.name] = (call: grpc.ServerUnaryCall<any, any>, callback: grpc.sendUnaryData<any>) => {
      let done = false;
      const reply = (err: grpc.ServiceError | null, value?: unknown) => {
        if (done) return;
        done = true;
        try {
          callback(err, value as any);
        } catch (e) {
          log.error(`${name}: failed to send the reply`, e);
        }
      };
      const fail = (err: unknown) => {
        if (err instanceof RpcError) {
          log.debug(`${name} -> ${grpc.status[err.code]}: ${err.message}`);
          reply({ code: err.code, details: err.message, name: 'RpcError', message: err.message, metadata: new grpc.Metadata() });
        } else {
          log.error(`${name}: internal error`, err);
          reply({ code: grpc.status.INTERNAL, details: `internal error in ${name}: ${(err as Error)?.message ?? err}`, name: 'Error', message: String(err), metadata: new grpc.Metadata() });
        }
      };
      if (!handler) return fail(new RpcError(grpc.status.UNIMPLEMENTED, `${name} is not supported by the offline Temporal server`));
      const req = call.request;
      if (req && typeof req === 'object' && DECODE_ERROR in req) {
        return fail(new RpcError(grpc.status.INVALID_ARGUMENT, `malformed ${name} request: ${req[DECODE_ERROR]}`));
      }
      const deadlineValue = call.getDeadline();
      const deadline = deadlineValue instanceof Date ? deadlineValue.getTime() : typeof deadlineValue === 'number' && Number.isFinite(deadlineValue) ? deadlineValue : Infinity;
      let cancelled = false;
      const cancelFns: Array<() => void> = [];
      call.on('cancelled', () => {
        cancelled = true;
        for (const fn of cancelFns) fn();
      });
      const ctx: CallContext = {
        deadline,
        cancelled: () => cancelled,
        onCancelled: (fn) => cancelFns.push(fn),
        method: name,
      };
      try {
        log.debug(`-> ${name}`);
        const out = handler(req, ctx);
        if (out && typeof (out as Promise<unknown>).then === 'function') {
          (out as Promise<unknown>).then(
            (v) => reply(null, v),
            (e) => fail(e),
          ).finally(afterCall);
        } else {
          reply(null, out);
        }
      } catch (e) {
        fail(e);
      } finally {
        afterCall();
      }
    };
  }
  server.addService(definition as grpc.ServiceDefinition, impl);
}
