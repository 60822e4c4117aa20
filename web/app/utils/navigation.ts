import type { Role } from '../../../db/models/index.ts';

export interface NavItem {
  to: string;
  label: string;
}

/** The app shell's navigation; each route still checks the role itself. */
export function navFor(role: Role): NavItem[] {
  switch (role) {
    case 'owner':
      return [
        { to: '/leads', label: 'Leads' },
        { to: '/recycle-bin', label: 'Recycle bin' },
        { to: '/imports', label: 'Imports' },
        { to: '/compliance', label: 'Compliance' },
        { to: '/templates', label: 'Templates' },
        { to: '/users', label: 'Users & Seats' },
        { to: '/company', label: 'My Company' },
        { to: '/mailbox', label: 'Mailbox' },
        { to: '/support', label: 'Support' },
      ];
    case 'admin':
      return [
        { to: '/leads', label: 'Leads' },
        { to: '/recycle-bin', label: 'Recycle bin' },
        { to: '/imports', label: 'Imports' },
        { to: '/compliance', label: 'Compliance' },
        { to: '/templates', label: 'Templates' },
        { to: '/users', label: 'Users & Seats' },
        { to: '/mailbox', label: 'Mailbox' },
        { to: '/support', label: 'Support' },
      ];
    case 'lsp':
      return [
        { to: '/leads', label: 'My Leads' },
        { to: '/due-today', label: 'Due today' },
      ];
    case 'support':
      return [
        { to: '/leads', label: 'Leads' },
        { to: '/support', label: 'Support' },
      ];
  }
}
