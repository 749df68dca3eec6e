// `node:fs` in the page: the vector files, fetched synchronously from the test server
// (the runners read them at module load, as they do from disk under Node).
export function readFileSync(path) {
  const xhr = new XMLHttpRequest();
  xhr.open('GET', path, false);
  xhr.send();
  if (xhr.status !== 200) throw new Error(`readFileSync ${path}: HTTP ${xhr.status}`);
  return xhr.responseText;
}
export default { readFileSync };
