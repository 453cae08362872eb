// Reads a request body up to a size limit, so a client cannot make the webhook buffer without bound.
import type { IncomingMessage } from "node:http";

/** The body is over the limit: the server answers 413 and closes the connection. */
export class PayloadTooLarge extends Error {
  override readonly name = "PayloadTooLarge";
}

export function readRequestBody(request: IncomingMessage, maxBytes: number): Promise<string> {
  const declared = Number(request.headers["content-length"]);
  if (declared > maxBytes) {
    return Promise.reject(new PayloadTooLarge(`the body of ${declared} bytes exceeds the limit of ${maxBytes} bytes`));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stop = () => {
      request.off("data", onData).off("end", onEnd).off("error", onError);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        stop();
        request.pause();
        reject(new PayloadTooLarge(`the body exceeds the limit of ${maxBytes} bytes`));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      stop();
      resolve(Buffer.concat(chunks).toString("utf8"));
    };
    const onError = (error: Error) => {
      stop();
      reject(error);
    };
    request.on("data", onData).on("end", onEnd).on("error", onError);
  });
}
