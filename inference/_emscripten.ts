/** Emscripten factory options that instantiate a module compiled once, instead of fetching and compiling it again. */

export interface OnModuleOptions {
  /** Where the module's stdout and stderr lines go (default: nowhere). */
  print?: (line: string) => void;
  /** Sees the fresh instance (e.g. to find its memory) before the module uses it. */
  onInstance?: (instance: WebAssembly.Instance) => void;
}

/** The options to pass an emscripten module factory; cast to its own parameter type. */
export function onModule(module: WebAssembly.Module, options: OnModuleOptions = {}): unknown {
  const print = options.print ?? (() => {});
  return {
    noInitialRun: true,
    print,
    printErr: print,
    instantiateWasm(
      imports: WebAssembly.Imports,
      receive: (instance: WebAssembly.Instance, module: WebAssembly.Module) => void,
    ) {
      const instance = new WebAssembly.Instance(module, imports);
      options.onInstance?.(instance);
      receive(instance, module);
      return instance.exports;
    },
  };
}
