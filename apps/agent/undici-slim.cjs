'use strict';
// The part of undici the agent uses (request, Agent, ProxyAgent, FormData), loaded from undici's own
// files. build.mjs bundles this in place of undici's index, which loads the whole library (fetch,
// WebSocket, EventSource, caches, mocks, interceptors): about 10 MB more heap for every agent.
// The sources, tests and tsx runs use the full package; both expose the same functions.
const Agent = require('undici/lib/dispatcher/agent');
const Dispatcher = require('undici/lib/dispatcher/dispatcher');
const ProxyAgent = require('undici/lib/dispatcher/proxy-agent');
const api = require('undici/lib/api');
const { InvalidArgumentError } = require('undici/lib/core/errors');
const { parseURL } = require('undici/lib/core/util');
const { getGlobalDispatcher } = require('undici/lib/global');
const { FormData } = require('undici/lib/web/fetch/formdata');

Object.assign(Dispatcher.prototype, api);

/** undici's top-level `request(url, options)`, for the URL forms the agent passes. */
function request(url, options = {}) {
  if (options.path != null) throw new InvalidArgumentError('undici-slim: pass the path in the URL');
  const parsed = parseURL(url);
  const { dispatcher = getGlobalDispatcher(), ...rest } = options;
  return api.request.call(dispatcher, {
    ...rest,
    origin: parsed.origin,
    path: parsed.search ? `${parsed.pathname}${parsed.search}` : parsed.pathname,
    method: rest.method || (rest.body ? 'PUT' : 'GET'),
  });
}

module.exports = { Agent, Dispatcher, FormData, ProxyAgent, request };
