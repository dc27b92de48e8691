// Types of parse-prometheus-text-format (the package ships none): the parsed metric families.
declare module 'parse-prometheus-text-format' {
  export default function parsePrometheusTextFormat(text: string): unknown[];
}
