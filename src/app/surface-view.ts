// The loss surface in 3-D: the worker computes the costs (Trainer.lossSurface) and posts them; this
// page draws them with a WebGPU render pipeline on a device of its own (shaders/surface.wgsl). The
// page's device, not the worker's through an OffscreenCanvas: turning the surface redraws at frame
// rate from data the page already holds (1,681 costs), with no message to a worker whose thread is
// busy training, and the training device is never shared with drawing. Camera matrices from wgpu-matrix.
// The pipeline renders into a texture that is read back into a 2-D canvas (0.7 MB a frame, drawn only
// when the view changes) rather than into a 'webgpu' canvas context: headless Chromium on SwiftShader,
// where the tests run, loses the device when it presents a WebGPU canvas ("A valid external Instance
// reference no longer exists"), and a read-back works on every adapter.
import { mat4 } from 'wgpu-matrix';
import surfaceWgsl from '../../shaders/surface.wgsl?raw';
import type { FromWorker, ToSurface } from './protocol.ts';
import { surfaceMesh, VERTEX_FLOATS, type SurfaceMesh } from './surface-mesh.ts';

// WebGPU's flag values (fixed by the spec), spelled here: the page has them as globals, but the project
// reads no GPU flag global (Dawn in Node has none; the library's copy is src/gpu/flags.ts, which a
// front-end does not import).
const STAGE = { VERTEX: 0x1, FRAGMENT: 0x2 } as const;
const BUFFER = { MAP_READ: 0x1, COPY_DST: 0x8, INDEX: 0x10, VERTEX: 0x20, UNIFORM: 0x40 } as const;
const TEXTURE = { COPY_SRC: 0x1, RENDER_ATTACHMENT: 0x10 } as const;
const MAP_READ = 0x1;
/** The colour target's format, which the read-back copies byte for byte into ImageData. */
const FORMAT: GPUTextureFormat = 'rgba8unorm';

type SurfaceMessage = Extract<FromWorker, { type: 'surface' }>;

/** What the page's device holds for one surface. */
interface Scene {
  readonly device: GPUDevice;
  readonly lit: GPURenderPipeline;
  readonly line: GPURenderPipeline;
  readonly uniform: GPUBuffer;
  readonly bindGroup: GPUBindGroup;
  readonly target: GPUTexture;
  readonly depth: GPUTexture;
  /** The target's pixels, rows padded to 256 bytes (copyTextureToBuffer's rule). */
  readonly readback: GPUBuffer;
  readonly rowBytes: number;
  vertices?: GPUBuffer;
  indices?: GPUBuffer;
  mesh?: SurfaceMesh;
}

/** Camera around the surface's centre: angles in radians, distance in grid half-widths. */
interface Orbit {
  yaw: number;
  pitch: number;
  distance: number;
}

export class SurfaceView {
  private scene: Promise<Scene> | undefined;
  private readonly orbit: Orbit = { yaw: 0.7, pitch: 0.6, distance: 3.6 };
  private frame = 0;
  /** A frame is being read back; `again`: the view changed meanwhile, draw once more after it. */
  private rendering = false;
  private again = false;

  private readonly panel: HTMLElement;
  private readonly canvas: HTMLCanvasElement;
  private readonly info: HTMLElement;

  /** The view of the page's #surface-panel, #surface-canvas and #surface-info, asked for by the
   *  #surface button; it reads the worker's 'surface' messages itself. */
  constructor(worker: Worker, $: (id: string) => HTMLElement) {
    this.panel = $('surface-panel');
    this.canvas = $('surface-canvas') as HTMLCanvasElement;
    this.info = $('surface-info');
    $('surface').addEventListener('click', () => {
      this.info.textContent = 'Computing the loss surface (41×41 models at once)…';
      this.panel.hidden = false;
      worker.postMessage({ type: 'surface' } satisfies ToSurface);
    });
    worker.addEventListener('message', (ev: MessageEvent<FromWorker>) => {
      if (ev.data.type === 'surface') this.show(ev.data);
      else if (ev.data.type === 'error' && ev.data.context === 'surface') this.info.textContent = '';
    });
    this.listen();
  }

  /** The worker's costs: drawn, and the line under the canvas says what they are. */
  show(m: SurfaceMessage): void {
    const mesh = surfaceMesh(m);
    const centre = m.cost[(m.size * m.size - 1) / 2]!;
    this.info.textContent =
      `${m.size}×${m.size} points over ${m.rows} training rows, computed ${m.device === 'gpu' ? 'on the GPU' : 'on the CPU reference'} in ${(m.ms / 1000).toFixed(2)} s. ` +
      `Cost from ${mesh.min.toPrecision(3)} to ${mesh.max.toPrecision(3)}, ${centre.toPrecision(3)} at the trained weights (centre). ` +
      `Height and colour: log cost over θ + α·d1 + β·d2, α and β in [−${m.axis[m.axis.length - 1]}, ${m.axis[m.axis.length - 1]}], d1 and d2 random filter-normalised directions. ` +
      `White line: the run's weights at each checkpoint, projected on the plane (${mesh.pathCount} of ${m.path.length} inside it). Drag to turn, wheel to zoom.`;
    this.panel.hidden = false;
    this.scene ??= this.createScene();
    this.scene.then(
      (s) => {
        this.upload(s, mesh);
        this.draw();
      },
      (e: unknown) =>
        (this.info.textContent = `Cannot draw the surface: ${e instanceof Error ? e.message : String(e)}`),
    );
  }

  private async createScene(): Promise<Scene> {
    const adapter = await navigator.gpu?.requestAdapter();
    if (!adapter) throw new Error('this page has no WebGPU adapter');
    const device = await adapter.requestDevice();
    const module = device.createShaderModule({ label: 'surface.wgsl', code: surfaceWgsl });
    const layout = device.createBindGroupLayout({
      entries: [{ binding: 0, visibility: STAGE.VERTEX | STAGE.FRAGMENT, buffer: { type: 'uniform' } }],
    });
    const f = 4;
    const vertex: GPUVertexState = {
      module,
      entryPoint: 'vs',
      buffers: [
        {
          arrayStride: VERTEX_FLOATS * f,
          attributes: [
            { shaderLocation: 0, offset: 0, format: 'float32x3' },
            { shaderLocation: 1, offset: 3 * f, format: 'float32x3' },
            { shaderLocation: 2, offset: 6 * f, format: 'float32x3' },
          ],
        },
      ],
    };
    const make = (fs: string, topology: GPUPrimitiveTopology) =>
      device.createRenderPipelineAsync({
        label: `surface ${fs}`,
        layout: device.createPipelineLayout({ bindGroupLayouts: [layout] }),
        vertex,
        fragment: { module, entryPoint: fs, targets: [{ format: FORMAT }] },
        primitive: { topology },
        depthStencil: { format: 'depth24plus', depthWriteEnabled: true, depthCompare: 'less' },
      });
    const [lit, line] = await Promise.all([make('fs_lit', 'triangle-list'), make('fs_flat', 'line-strip')]);
    const uniform = device.createBuffer({ size: 80, usage: BUFFER.UNIFORM | BUFFER.COPY_DST });
    const bindGroup = device.createBindGroup({ layout, entries: [{ binding: 0, resource: { buffer: uniform } }] });
    const size = [this.canvas.width, this.canvas.height];
    const target = device.createTexture({ size, format: FORMAT, usage: TEXTURE.RENDER_ATTACHMENT | TEXTURE.COPY_SRC });
    const depth = device.createTexture({ size, format: 'depth24plus', usage: TEXTURE.RENDER_ATTACHMENT });
    const rowBytes = Math.ceil((this.canvas.width * 4) / 256) * 256;
    const readback = device.createBuffer({
      size: rowBytes * this.canvas.height,
      usage: BUFFER.MAP_READ | BUFFER.COPY_DST,
    });
    return { device, lit, line, uniform, bindGroup, target, depth, readback, rowBytes };
  }

  /** The mesh into vertex and index buffers (the previous surface's freed). */
  private upload(s: Scene, mesh: SurfaceMesh): void {
    s.vertices?.destroy();
    s.indices?.destroy();
    const usage = BUFFER.COPY_DST;
    s.vertices = s.device.createBuffer({ size: mesh.vertices.byteLength, usage: usage | BUFFER.VERTEX });
    s.indices = s.device.createBuffer({ size: mesh.indices.byteLength, usage: usage | BUFFER.INDEX });
    s.device.queue.writeBuffer(s.vertices, 0, mesh.vertices);
    s.device.queue.writeBuffer(s.indices, 0, mesh.indices);
    s.mesh = mesh;
  }

  /** View-projection of the orbit: looking at the surface's middle from yaw and pitch at the distance. */
  private camera(): Float32Array {
    const { yaw, pitch, distance } = this.orbit;
    const eye = [
      distance * Math.cos(pitch) * Math.sin(yaw),
      0.4 + distance * Math.sin(pitch),
      distance * Math.cos(pitch) * Math.cos(yaw),
    ];
    const proj = mat4.perspective(Math.PI / 4, this.canvas.width / this.canvas.height, 0.1, 50);
    const view = mat4.lookAt(eye, [0, 0.35, 0], [0, 1, 0]);
    return mat4.multiply(proj, view);
  }

  /** Draws the surface and its path once (at the next animation frame; several asks make one draw). */
  private draw(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      void this.scene
        ?.then((s) => this.render(s))
        .catch(
          (e: unknown) =>
            (this.info.textContent = `Cannot draw the surface: ${e instanceof Error ? e.message : String(e)}`),
        );
    });
  }

  /** One frame: rendered into the target, read back and put into the canvas. */
  private async render(s: Scene): Promise<void> {
    const { mesh, vertices, indices } = s;
    if (!mesh || !vertices || !indices) return;
    if (this.rendering) {
      this.again = true;
      return;
    }
    this.rendering = true;
    try {
      this.encode(s, mesh, vertices, indices);
      await s.readback.mapAsync(MAP_READ);
      const { width, height } = this.canvas;
      const bytes = new Uint8Array(s.readback.getMappedRange());
      const image = new ImageData(width, height);
      for (let y = 0; y < height; y++)
        image.data.set(bytes.subarray(y * s.rowBytes, y * s.rowBytes + width * 4), y * width * 4);
      s.readback.unmap();
      this.canvas.getContext('2d')?.putImageData(image, 0, 0);
    } finally {
      this.rendering = false;
    }
    if (this.again) {
      this.again = false;
      this.draw();
    }
  }

  /** Submits the render pass (surface, then the path on it) and the copy of its pixels. */
  private encode(s: Scene, mesh: SurfaceMesh, vertices: GPUBuffer, indices: GPUBuffer): void {
    const u = new Float32Array(20);
    u.set(this.camera());
    u.set([0.4, 1, 0.3, 0], 16);
    s.device.queue.writeBuffer(s.uniform, 0, u);
    const enc = s.device.createCommandEncoder({ label: 'surface' });
    const pass = enc.beginRenderPass({
      colorAttachments: [
        {
          view: s.target.createView(),
          clearValue: { r: 0.97, g: 0.97, b: 0.98, a: 1 },
          loadOp: 'clear',
          storeOp: 'store',
        },
      ],
      depthStencilAttachment: {
        view: s.depth.createView(),
        depthClearValue: 1,
        depthLoadOp: 'clear',
        depthStoreOp: 'store',
      },
    });
    pass.setBindGroup(0, s.bindGroup);
    pass.setVertexBuffer(0, vertices);
    pass.setPipeline(s.lit);
    pass.setIndexBuffer(indices, 'uint32');
    pass.drawIndexed(mesh.indices.length);
    if (mesh.pathCount > 1) {
      pass.setPipeline(s.line);
      pass.draw(mesh.pathCount, 1, mesh.pathFirst);
    }
    pass.end();
    const size = [this.canvas.width, this.canvas.height];
    enc.copyTextureToBuffer({ texture: s.target }, { buffer: s.readback, bytesPerRow: s.rowBytes }, size);
    s.device.queue.submit([enc.finish()]);
  }

  /** Drag turns the surface (yaw) and tips it (pitch, kept above the floor); the wheel zooms. */
  private listen(): void {
    let last: { x: number; y: number } | undefined;
    this.canvas.addEventListener('pointerdown', (e) => {
      last = { x: e.clientX, y: e.clientY };
      this.canvas.setPointerCapture(e.pointerId);
    });
    this.canvas.addEventListener('pointerup', () => (last = undefined));
    this.canvas.addEventListener('pointermove', (e) => {
      if (!last) return;
      this.orbit.yaw -= (e.clientX - last.x) * 0.01;
      this.orbit.pitch = Math.min(1.5, Math.max(0.05, this.orbit.pitch + (e.clientY - last.y) * 0.01));
      last = { x: e.clientX, y: e.clientY };
      this.draw();
    });
    this.canvas.addEventListener(
      'wheel',
      (e) => {
        e.preventDefault();
        this.orbit.distance = Math.min(10, Math.max(1.5, this.orbit.distance * Math.exp(e.deltaY * 0.001)));
        this.draw();
      },
      { passive: false },
    );
  }
}
