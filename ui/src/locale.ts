// Imported first (see main.ts): a system locale the browser engine reports but Intl
// rejects (WebKitGTK says "C" under LANG=C) would make every Intl formatter throw,
// uPlot's among them, at load. Such a locale is replaced by the engine's default.

export function usableLocale(tag: string | undefined): boolean {
  if (!tag) return false;
  try {
    return Intl.NumberFormat.supportedLocalesOf([tag]).length > 0 || new Intl.Locale(tag).baseName.length > 0;
  } catch {
    return false;
  }
}

if (typeof navigator !== "undefined" && !usableLocale(navigator.language)) {
  const fallback = new Intl.NumberFormat().resolvedOptions().locale;
  try {
    Object.defineProperty(navigator, "language", { configurable: true, get: () => fallback });
    Object.defineProperty(navigator, "languages", { configurable: true, get: () => [fallback] });
  } catch {
    // A read-only navigator: formatters fall back to the default locale as they can.
  }
}
