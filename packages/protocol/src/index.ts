// Farm protocol core: errors, codes, XML helpers, request builders, server readers, answers.
export * from './answers/config';
export * from './answers/error';
export * from './answers/job-request';
export * from './answers/job-validate';
export * from './answers/keep-alive';
export type { StatusAnswer } from './answers/status-answers';
// Blender command line, output parser, exit classification and device script.
export * from './blender/device-lines';
export * from './blender/device-listing';
export * from './blender/error-lines';
export * from './blender/exit';
export type { Fraction, MemoryReading } from './blender/line-values';
export * from './blender/scripts';
export * from './blender-output';
export * from './codes';
export * from './commandline';
export * from './error-log';
export * from './errors';
export * from './farm-values';
export * from './jobs';
export * from './link';
export * from './readers/config';
export * from './readers/error-report';
export * from './readers/job-request';
export * from './readers/keep-alive';
export type { ParamSource } from './readers/params';
export * from './readers/speedtest';
export * from './readers/validation';
export * from './requests';
export * from './rules';
export * from './schedule';
export * from './stop-reasons';
export {
  CLIENT_XML_CONTENT_TYPE,
  type ContentTypeArgument,
  checkXmlContentType,
  MAX_XML_BODY_CHARS,
  XML_CONTENT_TYPE,
  type XmlElement,
} from './xml';
