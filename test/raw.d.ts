// Vite's `?raw` imports (file contents as text), used to read the Power Query connector in tests.
declare module "*?raw" {
  const text: string;
  export default text;
}
