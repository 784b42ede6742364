import { describe, expect, it } from 'vitest';
import { KERNELS, pipeline, type BindingKind, type KernelDesc } from '../../src/gpu/kernels.ts';
import { useDevice, gpu } from './fixture.ts';

useDevice();

/** Module-scope `@group(0) @binding(N) var<space[, access]> name` declarations of a WGSL source. */
function declaredBindings(source: string): Map<number, { name: string; kind: BindingKind }> {
  const out = new Map<number, { name: string; kind: BindingKind }>();
  const re = /@group\(0\)\s*@binding\((\d+)\)\s*var<(\w+)(?:,\s*(\w+))?>\s*(\w+)/g;
  for (const m of source.matchAll(re)) {
    const kind: BindingKind = m[2] === 'uniform' ? 'uniform' : m[3] === 'read_write' ? 'storage' : 'read-only-storage';
    out.set(Number(m[1]), { name: m[4]!, kind });
  }
  return out;
}

describe('kernel descriptors', () => {
  for (const [id, desc] of Object.entries(KERNELS)) {
    // Test that the descriptor's bindings name the shader's own @binding declarations, with the same access.
    it(`${id} matches ${desc.file}:${desc.entryPoint}`, async () => {
      const declared = declaredBindings(desc.source);
      for (const b of desc.bindings) {
        expect(declared.get(b.binding), `${id}: binding ${b.binding}`).toEqual({ name: b.name, kind: b.kind });
      }
      expect(desc.source).toMatch(new RegExp(`fn ${desc.entryPoint}\\(`));
      const info = await gpu().device.createShaderModule({ code: desc.source }).getCompilationInfo();
      const errors = info.messages
        .filter((m) => m.type === 'error')
        .map((m) => `${m.lineNum}:${m.linePos} ${m.message}`);
      expect(errors).toEqual([]);
    });

    // Test that the pipeline builds with the descriptor's layout and constants: every binding the entry
    // point reads, under any of its epilogues, is in the descriptor.
    it(`${id} builds its pipeline`, async () => {
      await expect(pipeline(gpu().device, desc)).resolves.toBeDefined();
    });
  }
});

describe('matmul views', () => {
  const descs: [string, KernelDesc][] = Object.entries(KERNELS);
  for (const [id, desc] of descs) {
    if (!desc.constants && !desc.unused) continue;
    // Test that a view fixes only overrides its source declares and that each binding it never reads is
    // bound to a read-only binding of its own (two read-only bindings may share a buffer; a writable
    // one may not), and that the views of one entry point bind alike (they share one bind-group layout).
    it(`${id} is a view of ${desc.file}:${desc.entryPoint}`, () => {
      for (const k of Object.keys(desc.constants ?? {})) expect(desc.source).toMatch(new RegExp(`override ${k}\\b`));
      for (const [name, standIn] of Object.entries(desc.unused ?? {})) {
        expect(
          desc.bindings.some((b) => b.name === name),
          `${id}: unused binding ${name}`,
        ).toBe(true);
        expect(desc.bindings.find((b) => b.name === standIn)?.kind, `${id}: ${name} bound to ${standIn}`).toBe(
          'read-only-storage',
        );
      }
      for (const [other, d] of descs.filter(([, d]) => d.file === desc.file && d.entryPoint === desc.entryPoint))
        expect(d.bindings, `${id} and ${other}`).toEqual(desc.bindings);
    });
  }
});
