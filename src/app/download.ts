// What the page hands to the user: a file (a model as safetensors or ONNX, a table of predictions as
// CSV), or the link to this run.

/** Offers `bytes` (or text) as a download named `name`. */
export function download(name: string, bytes: Uint8Array | string, type = 'application/octet-stream'): void {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(new Blob([typeof bytes === 'string' ? bytes : bytes.slice()], { type }));
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}

/** Copies the page's link (its settings) when `button` is clicked; the link gets a line of its own in
 *  `status` (the model summary stays), which goes after a while. */
export function shareButton(button: HTMLButtonElement, status: HTMLElement): void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  button.addEventListener('click', () => {
    const url = location.href;
    const show = (text: string) => {
      status.textContent = text;
      clearTimeout(timer);
      timer = setTimeout(() => (status.textContent = ''), 15_000);
    };
    navigator.clipboard.writeText(url).then(
      () => show(`Link copied: ${url}`),
      () => show(`Share this link: ${url}`),
    );
  });
}
