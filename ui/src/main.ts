// Entry point: picks the transport for where the page runs and starts the app.

import "./locale"; // first: before any module builds a formatter
import "./style.css";
import { App, fatal } from "./app";
import { connect } from "./client";

const root = document.getElementById("app")!;
try {
  new App(root, connect()).start();
} catch (error) {
  fatal(root, error);
}
