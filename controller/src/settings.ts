/**
 * Every setting of the controller, declared once: flag, environment variable, default, what it accepts and why it
 * exists. config.ts reads flags and variables against this table, and --help and the README table are rendered
 * from it, so none of them can disagree. Each area's entries live in a module of their own (clusterSettings.ts,
 * dashboardSettings.ts, unleashSettings.ts, analysisSettings.ts, traceSettings.ts); this file composes them into the one table.
 */
import { analysisSettings } from './analysisSettings.ts';
import { clusterSettings, podSettings } from './clusterSettings.ts';
import { dashboardSettings } from './dashboardSettings.ts';
import type { Setting } from './settingParsers.ts';
import { traceSettings } from './traceSettings.ts';
import { unleashSettings } from './unleashSettings.ts';

export { instanceIdLabel } from './clusterSettings.ts';
export { machineHost, type ConfigHost } from './configHost.ts';
export { booleanWords, invalid, Refused, type DefaultContext, type Setting } from './settingParsers.ts';

/** The one table, area by area; its order is the order of --help and the README table. */
export const settings = {
  ...clusterSettings,
  ...dashboardSettings,
  ...unleashSettings,
  ...analysisSettings,
  ...traceSettings,
  ...podSettings,
};

export type SettingName = keyof typeof settings;
export type SettingValue<S> = S extends Setting<infer T> ? T : never;
