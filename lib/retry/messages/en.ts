import type { DunningTemplates } from './types';

/** English dunning texts. */
export const en: DunningTemplates = {
	subject: {
		firstNotice: 'Your payment to {{merchantName}} did not go through',
		reminder: 'Reminder: your payment of {{amount}} is still outstanding',
		finalNotice: 'Final notice: please pay {{amount}} by {{dueDate}}',
		suspended: 'Your {{merchantName}} account has been suspended',
	},
	greeting: 'Hello {{customerName}},',
	greetingAnonymous: 'Hello,',
	intro: {
		firstNotice: 'We could not collect your payment of {{amount}} to {{merchantName}}.',
		reminder: 'Your payment of {{amount}} to {{merchantName}} is still outstanding.',
		finalNotice: 'Your payment of {{amount}} to {{merchantName}} is still outstanding. Please settle it by {{dueDate}} to keep your account active.',
		suspended: 'Your {{merchantName}} account has been suspended because a payment of {{amount}} is outstanding.',
	},
	access: {
		full: '',
		grace: 'Your account remains fully available in the meantime.',
		limited: 'Until the payment is made, some features of your account are limited.',
		suspended: 'Your access will be restored as soon as the payment is made.',
	},
	action: {
		retry: 'We will try the payment again on {{nextRetryAt}}. You can also pay now or use a different payment method.',
		requestPaymentMethod: 'Please update your payment method by {{dueDate}}.',
		requestAuthentication: 'Your bank asks you to confirm this payment. Please confirm it by {{dueDate}}.',
		stop: 'We will not try this payment again automatically. Please pay the invoice yourself.',
	},
	linkLabel: {
		retry: 'View invoice',
		requestPaymentMethod: 'Update payment method',
		requestAuthentication: 'Confirm payment',
		stop: 'Pay invoice',
	},
	linkFallback: 'If the button does not work, open this address: {{link}}',
	securityNote: 'The link opens a secure page hosted by Stripe, our payment provider. We never see your card details.',
	closing: 'Thank you,\n{{merchantName}}',
};
