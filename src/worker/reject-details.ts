/**
 * The detail text of each connection refusal, shared by both transports so the log lines
 * (`connection_rejected reason=... detail=...`) read the same whichever path took the
 * connection.
 */
export const rejectDetails = {
  unsupportedModifier: (modifier1: number): string => `modifier1 ${modifier1} is not supported`,
  varsTooLarge: (datasize: number, limit: number): string => `datasize ${datasize} is above the limit of ${limit}`,
  malformedVars: (errorOffset: number): string => `at byte ${errorOffset} of the vars block`,
  headTimeout: (ms: number): string => `no complete packet within ${ms} ms`,
  truncated: (received: number): string => `peer closed after ${received} bytes`,
  bodyTimeout: (ms: number): string => `request body stalled for ${ms} ms`,
  bodyTruncated: (missing: number): string => `request body truncated: ${missing} bytes missing`,
  peerNotAllowed: (peer: string): string => `peer ${peer} is not in --allow-from`,
} as const;
