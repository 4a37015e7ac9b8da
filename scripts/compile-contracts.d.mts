// Types of scripts/compile-contracts.mjs for the TypeScript code that imports it (the artifacts test).

/** The compiler settings written into each artifact. */
export declare const SETTINGS: {
  optimizer: { enabled: boolean; runs: number };
  evmVersion: string;
};

/** Compiles contracts/*.sol in memory: the compiler version and the artifact files' contents by
 * their path relative to `root`. */
export declare function compileContracts(root?: string): { version: string; files: Map<string, string> };
