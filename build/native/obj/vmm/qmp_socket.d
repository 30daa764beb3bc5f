build/native/obj/vmm/qmp_socket.o: vmm/qmp_socket.c vmm/qmp_socket.h \
 vmm/compiler.h
vmm/qmp_socket.h:
vmm/compiler.h:
