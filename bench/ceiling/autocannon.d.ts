// Minimal typing for the autocannon library API used by arm (b).
declare module 'autocannon' {
  interface Options {
    url: string;
    connections?: number;
    pipelining?: number;
    duration?: number;
  }
  type Callback = (err: unknown, result: any) => void;
  function autocannon(opts: Options, cb: Callback): unknown;
  export default autocannon;
}
