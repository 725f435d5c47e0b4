// Stylesheets imported for their side effect: Vite bundles them into dist/web/islands.css.
declare module '*.css'
