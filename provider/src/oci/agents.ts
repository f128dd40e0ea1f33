/**
 * The transport's keep-alive agents. node-fetch 2 (inside cross-fetch, the fetch `signgate serve` uses) pipes each
 * response into a body stream of its own and never ends that stream when the connection drops before the announced
 * Content-Length arrived: a registry that resets mid-body would stall the read until the request timeout. These agents
 * watch every response they carry and fail the streams it was piped into with ERR_STREAM_PREMATURE_CLOSE, so body.ts
 * reports REGISTRY_UNREACHABLE at once, as it does with Node's own fetch (which ignores agents and needs none of this).
 */
import http from 'node:http';
import https from 'node:https';
import type { Writable } from 'node:stream';

/** `addRequest` is how every http.request reaches its agent (node's _http_client); it is not in @types/node. */
interface AgentRequests {
  addRequest(request: http.ClientRequest, options: unknown): void;
}

function failBodiesOnDrop(response: http.IncomingMessage): void {
  const destinations: Writable[] = [];
  const pipe = response.pipe.bind(response);
  response.pipe = <T extends NodeJS.WritableStream>(destination: T, options?: { end?: boolean }): T => {
    destinations.push(destination as unknown as Writable);
    return pipe(destination, options);
  };
  response.once('close', () => {
    if (response.complete) return;
    const error = Object.assign(new Error('the connection closed before the whole body arrived'), { code: 'ERR_STREAM_PREMATURE_CLOSE' });
    for (const destination of destinations) destination.destroy(error);
  });
}

function watchResponses<A extends http.Agent>(agent: A): A {
  const requests = agent as unknown as AgentRequests;
  const addRequest = requests.addRequest.bind(agent);
  requests.addRequest = (request, options) => {
    request.once('response', failBodiesOnDrop);
    addRequest(request, options);
  };
  return agent;
}

export function createHttpAgent(): http.Agent {
  return watchResponses(new http.Agent({ keepAlive: true }));
}

export function createHttpsAgent(options: https.AgentOptions): https.Agent {
  return watchResponses(new https.Agent({ keepAlive: true, ...options }));
}
