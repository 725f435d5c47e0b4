// Minimal types for the parts of jstat@1.9.6 that langperf uses (the package ships none).
declare module 'jstat' {
  interface Distribution1 {
    cdf(x: number, dof: number): number
    inv(p: number, dof: number): number
  }
  interface Normal {
    cdf(x: number, mean: number, sd: number): number
    inv(p: number, mean: number, sd: number): number
  }
  interface JStat {
    studentt: Distribution1
    chisquare: Distribution1
    normal: Normal
    ibeta(x: number, a: number, b: number): number
  }
  const jStat: JStat
  export default jStat
}
