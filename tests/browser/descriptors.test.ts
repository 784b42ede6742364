import { describe, expect, it } from 'vitest';
import { KERNELS, type BindingKind } from '../../src/gpu/kernels.ts';
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
  }
});
