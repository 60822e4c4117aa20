// Vite's `?url` imports: the emitted asset's URL (see root.tsx's stylesheet link).
declare module '*.css?url' {
  const url: string;
  export default url;
}
