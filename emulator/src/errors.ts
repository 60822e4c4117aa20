/** gRPC status codes (https://grpc.github.io/grpc/core/md_doc_statuscodes.html). */
export const Code = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
} as const;

/** An error that reaches the client as the given gRPC status. */
export class RpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
    /** An encoded google.rpc.Status with typed details (grpc-status-details-bin), when the client reads them. */
    readonly details?: Uint8Array,
  ) {
    super(message);
  }
}

export const notFound = (msg: string) => new RpcError(Code.NOT_FOUND, msg);
export const invalidArgument = (msg: string) => new RpcError(Code.INVALID_ARGUMENT, msg);
export const alreadyExists = (msg: string) => new RpcError(Code.ALREADY_EXISTS, msg);
export const failedPrecondition = (msg: string) => new RpcError(Code.FAILED_PRECONDITION, msg);
export const unimplemented = (msg: string) => new RpcError(Code.UNIMPLEMENTED, msg);
