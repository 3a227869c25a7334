export { alertOf, type Alert } from './alert-kinds.js';
export { WebhookDispatcher, type DispatcherDeps } from './webhook-dispatcher.js';
export { WebhookRegistry, webhookView, type NewWebhook, type WebhookState } from './webhook-registry.js';
export { checkWebhookUrl } from './webhook-url.js';
