export { toShellLine, quoteWord, type Command } from './command.ts';
export {
  FlatcarParseError, tryParse, withCommandFacts,
  type FlatcarError, type FlatcarErrorKind, type FlatcarErrorFacts, type ParseResult,
} from './errors.ts';
export { classifyExecResult, commandTimedOut, type CommandOutput } from './classify.ts';
export { readOsRelease, grepVersionId, parseOsRelease, type OsRelease } from './os-release.ts';
export { parseFlatcarVersion, compareFlatcarVersions, type FlatcarVersion, type FlatcarChannel } from './version.ts';
export {
  updateEngineClient, parseUpdateEngineStatus, isUpdateOperation, UPDATE_OPERATIONS,
  type UpdateEngineStatus, type UpdateOperation,
} from './update-engine.ts';
export { WatchStreamParser, type WatchEvent } from './update-engine-watch.ts';
export { parseGlogLine, type GlogLine, type LogLevel } from './glog.ts';
export {
  systemctl, parseIsEnabled, parseIsActive, FLATCAR_UNITS, ACTIVE_STATES,
  type FlatcarUnit, type UnitFileState, type ActiveState, type IsEnabledResult, type IsActiveResult,
} from './systemctl.ts';
export { readUpdateConf, parseUpdateConf, effectiveUpdateConf, UPDATE_CONF_PATHS, type UpdateConf, type UpdateConfLocation } from './update-conf.ts';
export { readBootId, parseBootId } from './boot-id.ts';
export { sudoCheck } from './sudo-check.ts';
export { healthCheck } from './health-check.ts';
