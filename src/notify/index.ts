/**
 * Notifications: the transport-neutral alert message (and the message about a silent machine),
 * its renderings (text, Markdown, Slack JSON, e-mail) and the transports that deliver it
 * (webhook, SMTP, GitHub). See docs/notifications.md.
 */
export * from './email.ts'
export * from './github.ts'
export * from './machine-message.ts'
export * from './message.ts'
export * from './render.ts'
export * from './sample.ts'
export * from './targets.ts'
export * from './transport.ts'
export * from './webhook.ts'
