/** The global under which `dist/media/mermaid.js` leaves the Mermaid library for the view scripts. */
export const MERMAID_GLOBAL = 'bnasMermaid';
