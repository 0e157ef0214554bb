// A few lines of DOM building, so views read as the markup they make.

type Child = Node | string | null | undefined | false;
type Attributes = Record<string, string | number | boolean | null | undefined | EventListener>;

/** `h("td", { class: "x", onclick: f }, "text", child)`. Text is always set as text. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Attributes = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") {
      element.addEventListener(name.slice(2), value);
    } else if (value === true) {
      element.setAttribute(name, "");
    } else {
      element.setAttribute(name, String(value));
    }
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child);
  }
  return element;
}

/** A coloured pill: `kind` picks the colour (a status), `text` defaults to it. */
export function badge(kind: string, text: string = kind): HTMLSpanElement {
  return h("span", { class: `badge ${kind}` }, text);
}

/** Runs a view's render; an error shows in that view only, never blanking the app. */
export function guarded(container: HTMLElement, render: () => void | Promise<void>): Promise<void> {
  const fail = (error: unknown) => {
    const e = error as { message?: string; resolution?: string };
    container.replaceChildren(
      h(
        "div",
        { class: "view-error", role: "alert" },
        h("strong", {}, "This view failed: "),
        e?.message ?? String(error),
        e?.resolution ? h("div", { class: "hint" }, e.resolution) : null,
      ),
    );
    console.error(error);
  };
  try {
    return Promise.resolve(render()).catch(fail);
  } catch (error) {
    fail(error);
    return Promise.resolve();
  }
}
