import type { ConfigParams } from '../requests';
import {
  optionalInt,
  optionalParam,
  type ParamSource,
  requiredInt,
  requiredParam,
  toBoolean,
  withoutUndefined,
} from './params';

/**
 * Reads the login parameters (form fields of a POST, or the query of a GET). A missing required
 * parameter throws ProtocolError('missing-parameter', name): the farm answers 100 for `version`, 104
 * otherwise. `version` is checked first. An empty `extras` counts as none.
 */
export function readConfigParams(fields: ParamSource): ConfigParams {
  const version = requiredParam(fields, 'version');
  const extras = optionalParam(fields, 'extras');
  return withoutUndefined({
    login: requiredParam(fields, 'login'),
    password: requiredParam(fields, 'password'),
    version,
    os: requiredParam(fields, 'os'),
    osVersion: requiredParam(fields, 'os_version'),
    bits: requiredParam(fields, 'bits'),
    cpuFamily: requiredParam(fields, 'cpu_family'),
    cpuModel: requiredParam(fields, 'cpu_model'),
    cpuModelName: requiredParam(fields, 'cpu_model_name'),
    cpuCores: requiredInt(fields, 'cpu_cores'),
    ramKiB: requiredInt(fields, 'ram'),
    ramMaxKiB: optionalInt(fields, 'ram_max'),
    extras: extras === '' ? undefined : extras,
    hostname: optionalParam(fields, 'hostname'),
    ui: optionalParam(fields, 'ui'),
    headless: toBoolean('headless', requiredParam(fields, 'headless')),
    hwid: requiredParam(fields, 'hwid'),
  });
}
