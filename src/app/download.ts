// A file the page hands to the user: a model (safetensors, ONNX) or a table of predictions (CSV).

/** Offers `bytes` (or text) as a download named `name`. */
export function download(name: string, bytes: Uint8Array | string, type = 'application/octet-stream'): void {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(new Blob([typeof bytes === 'string' ? bytes : bytes.slice()], { type }));
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}
