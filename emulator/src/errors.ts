import { status } from '@grpc/grpc-js';

/** An error that reaches the client as the given gRPC status. */
export class RpcError extends Error {
  constructor(
    readonly code: status,
    message: string,
  ) {
    super(message);
  }
}

export const notFound = (msg: string) => new RpcError(status.NOT_FOUND, msg);
export const invalidArgument = (msg: string) => new RpcError(status.INVALID_ARGUMENT, msg);
export const alreadyExists = (msg: string) => new RpcError(status.ALREADY_EXISTS, msg);
export const failedPrecondition = (msg: string) => new RpcError(status.FAILED_PRECONDITION, msg);
export const unimplemented = (msg: string) => new RpcError(status.UNIMPLEMENTED, msg);
