// Types for scripts/postinstall.mjs (plain JavaScript so npm can run it before anything compiles).
export declare function currentLibc(): 'glibc' | 'musl' | null;
export declare function edrBindingPackage(
  optionalDependencies: Readonly<Record<string, string>>,
  platform: string,
  arch: string,
  libc: 'glibc' | 'musl' | null,
): { name: string; version: string };
