// Types for nodeLauncher.js, which stays plain JavaScript because it must run on any Node >= 18.
export declare const MIN_MAJOR: number;
export declare const INSTALL_MAJOR: number;
export declare const ROOT: string;
export declare function nodePackage(platform?: string, arch?: string): string;
export declare function localNodePath(root?: string, platform?: string, arch?: string): string;
export type Decision =
  | { use: "current"; flags: string[] }
  | { use: "local"; node: string; flags: string[] }
  | { use: "install"; flags: string[] };
export declare function decide(input: {
  version: string;
  typescript: boolean;
  localNode: string | undefined;
}): Decision;
export declare class LauncherError extends Error {}
export declare function installEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
export declare function installNode(root?: string, stderr?: NodeJS.WritableStream): string;
export declare function resolveNode(
  root?: string,
  stderr?: NodeJS.WritableStream,
): { node: string; flags: string[]; current: boolean };
export declare function runChild(node: string, args: string[]): void;
export declare function launch(args: string[]): void;
